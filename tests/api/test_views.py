"""What the pages read (map layer, zones, base map, compliance, reading differences) and
the pages' own HTTP behaviour (login cookie, form tokens, redirects, error pages), without
a browser: fast, and run where Chromium is not available."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from ceasefire.core.policy import Settings
from ceasefire.interfaces.http.app import create_app
from ceasefire.interfaces.http.auth import SESSION_COOKIE
from ceasefire.services import users
from tests.api.conftest import Api
from tests.conftest import event

V = "/api/v1"
DAMASCUS = ZoneInfo("Asia/Damascus")


def layer(api: Api, **params: str) -> dict:
    response = api.get(f"{V}/map/incidents", "monitor", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_map_layer_matches_the_stored_findings(api: Api) -> None:
    data = layer(api, agreement="quiet", reading="text")
    assert data["count"] == 3
    assert data["sides"] == ["gov", "opposition", "russia", "late", "excluded", "other"]
    assert data["window"] == {
        "start": "2016-04-29T21:00Z",
        "end": None,
        "first_day": (dt.date(2016, 4, 30) - dt.date(1970, 1, 1)).days,  # local midnight
        "last_day": None,
    }
    assert data["timezone"] == "Asia/Damascus"
    for i, pk in enumerate(data["pk"]):
        record = api.get(f"{V}/incidents/{pk}", "monitor").json()
        found = [
            f for f in record["findings"] if (f["agreement_id"], f["reading"]) == ("quiet", "text")
        ]
        expected = found[0]["category"] if found else "out_of_scope"
        assert data["categories"][data["category"][i]] == expected
        assert (data["lon"][i], data["lat"][i]) == (
            round(record["lon"], 4),
            round(record["lat"], 4),
        )
        # The local calendar days (Damascus) of the interval's start and of its last second.
        start = dt.datetime.fromtimestamp(record["t0"], DAMASCUS).date()
        last = dt.datetime.fromtimestamp(max(record["t1"] - 1, record["t0"]), DAMASCUS).date()
        assert data["day"][i] == (start - dt.date(1970, 1, 1)).days
        assert data["days"][i] == (last - start).days
    by_id = {
        api.get(f"{V}/incidents/{pk}", "monitor").json()["source_id"]: i
        for i, pk in enumerate(data["pk"])
    }
    gov, excluded = 1 << data["sides"].index("gov"), 1 << data["sides"].index("excluded")
    assert data["side"][by_id["e1"]] == gov
    assert data["side"][by_id["e2"]] == excluded  # Nusra
    assert data["categories"][data["category"][by_id["e1"]]] == "violation"
    assert data["categories"][data["category"][by_id["e2"]]] == "not_bound"  # Nusra is excluded
    assert data["categories"][data["category"][by_id["e3"]]] == "out_of_scope"


def test_map_layer_refuses_unknown_agreements_and_readings(api: Api) -> None:
    for params in ({"agreement": "nope"}, {"agreement": "quiet", "reading": "france"}):
        response = api.get(f"{V}/map/incidents", "monitor", params=params)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


def test_hidden_incidents_stay_hidden_from_the_public_map(api: Api) -> None:
    # Warm the read models' cache first: it must not answer before the viewer is checked.
    assert layer(api, agreement="quiet", reading="text")["count"] == 3
    assert api.get(f"{V}/compliance", "monitor").status_code == 200
    app = create_app(api.db, settings=Settings(public_incidents=False))
    with TestClient(app) as client:
        warm = {"agreement": "quiet", "reading": "text"}
        assert client.get(f"{V}/map/incidents", params=warm).status_code == 403
        assert client.get(f"{V}/map/incidents").status_code == 403
        assert client.get(f"{V}/compliance").status_code == 403
        assert client.get(f"{V}/map/zones").status_code == 200  # the terms are public
        page = client.get("/map")
        assert page.status_code == 200 and "Incidents are not public" in page.text
        assert 'data-incidents="no"' in page.text
    app.state.workspace.close()


def test_zones_and_base_map(api: Api) -> None:
    zones = api.get(f"{V}/map/zones", params={"agreement": "quiet"}).json()
    [square] = zones["features"]
    assert square["id"] == "square"
    assert square["properties"]["agreements"] == [
        {
            "agreement": "quiet",
            "title": "Test regime of quiet",
            "start": "2016-04-29T21:00Z",
            "end": None,
        }
    ]
    base = api.get(f"{V}/map/base")
    assert base.headers["cache-control"].startswith("public")
    layers = base.json()
    assert len(layers["admin1"]["features"]) == 14
    assert len(layers["admin2"]["features"]) == 61
    assert layers["region"]["bounds"] == [[35.4, 32.2], [42.5, 37.4]]
    assert {f["properties"]["iso_a3"] for f in layers["countries"]["features"]} >= {
        "SYR",
        "TUR",
    }


def test_compliance_counts_violations_per_week_party_and_zone(api: Api) -> None:
    body = api.get(f"{V}/compliance", "rep-gov", params={"agreement": "quiet"}).json()
    in_force = [r for r in body["weekly"] if r["phase"] == "in force" and r["violations"]]
    assert in_force == [
        {
            "week": 0,
            "week_start": "2016-04-30",
            "phase": "in force",
            "violations": 1,
            "killed": 0.0,
            "party": "gov",
        }
    ]
    assert len({r["week"] for r in body["weekly"]}) == 12
    [zone] = body["zones"]
    assert (zone["zone"], zone["incidents"], zone["violation"], zone["not_bound"]) == (
        "square", 2, 1, 1,
    )  # fmt: skip


def test_differences_between_readings(api: Api) -> None:
    assert api.get(f"{V}/agreements/quiet/differences", "monitor").json()["total"] == 0
    # Five days in: still in force under the text and the US reading, past Russia's 72 hours.
    late = event("e4", time={"start": "2016-05-05"})
    assert api.post(f"{V}/incidents", "monitor", json=late).status_code == 201
    body = api.get(f"{V}/agreements/quiet/differences", "monitor").json()
    assert body["total"] == 1
    [item] = body["items"]
    assert item["id"] == "native:e4"
    assert item["categories"] == {"text": "violation", "russia": "out_of_scope", "usa": "violation"}
    assert body["patterns"] == [{"categories": item["categories"], "incidents": 1}]


def test_case_view_lists_the_steps_the_viewer_may_take(api: Api) -> None:
    body = {"agreement_id": "quiet", "complainant": "opposition", "respondent": "gov",
            "narrative": "Shelling on the first day.", "incidents": ["native:e1"]}  # fmt: skip
    case = api.post(f"{V}/allegations", "rep-opp", json=body).json()
    path = f"{V}/allegations/{case['id']}"
    assert api.get(path, "rep-opp").json()["actions"] == ["withdraw"]
    assert api.get(path, "rep-gov").json()["actions"] == ["answer"]
    assert api.get(path, "adj-ru").json()["actions"] == ["review"]
    assert api.get(path, "admin").json()["actions"] == ["answer", "withdraw"]  # admins do not rule
    api.post(f"{path}/review", "adj-ru")
    assert api.get(path, "adj-us").json()["actions"] == ["rule"]


# ------------------------------------------------------------------ pages over HTTP


@pytest.fixture
def pages(api: Api) -> TestClient:
    return api.client


def login_as(client: TestClient, api: Api, who: str) -> str:
    client.cookies.set(SESSION_COOKIE, api.tokens[who])
    page = client.get("/cases/new")
    return re.search(r'name="csrf" value="([0-9a-f]+)"', page.text).group(1)  # type: ignore[union-attr]


def test_pages_carry_a_policy_that_forbids_other_origins(pages: TestClient) -> None:
    page = pages.get("/map")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "connect-src 'self'" in policy
    assert "http" not in policy
    assert not re.search(r'(src|href)="(https?:)?//', page.text)


def test_login_sets_an_http_only_cookie_and_logout_revokes_it(api: Api, pages: TestClient) -> None:
    workspace = api.client.app.state.workspace  # type: ignore[attr-defined]
    with workspace.record() as rec:
        admin = users.get_user(rec, "admin")
        users.add_user(
            rec, admin, "field", "monitor", password="a long password", keys=workspace.keys
        )
    wrong = pages.post("/login", data={"name": "field", "password": "nope", "next": "/map"})
    assert wrong.status_code == 401 and SESSION_COOKIE not in wrong.cookies
    right = pages.post(
        "/login", data={"name": "field", "password": "a long password", "next": "//evil.example/x"},
        follow_redirects=False,
    )  # fmt: skip
    assert right.status_code == 303 and right.headers["location"] == "/map"
    cookie = right.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    token = right.cookies[SESSION_COOKIE]
    pages.cookies.set(SESSION_COOKIE, token)
    assert api.client.get(f"{V}/map/incidents", params={"agreement": "quiet"}).status_code == 200
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', pages.get("/map").text).group(1)  # type: ignore[union-attr]
    pages.post("/logout", data={"csrf": csrf})
    entries = api.get(f"{V}/ledger", "admin", params={"limit": 1000}).json()["items"]
    assert [e["action"] for e in entries[-2:]] == ["token.issue", "token.revoke"]
    # The revoked token no longer works, even if a browser kept it.
    pages.cookies.clear()
    revoked = {"Authorization": f"Bearer {token}"}
    assert pages.get(f"{V}/allegations", headers=revoked).status_code == 401


def test_forms_need_the_login_token(api: Api, pages: TestClient) -> None:
    csrf = login_as(pages, api, "rep-opp")
    form = {"agreement_id": "quiet", "respondent": "gov", "narrative": "Shelling."}
    assert pages.post("/cases", data=form | {"csrf": "forged"}).status_code == 403
    made = pages.post("/cases", data=form | {"csrf": csrf}, follow_redirects=False)
    assert made.status_code == 303 and made.headers["location"].startswith("/cases/A-")
    # The cookie reads through the API but never writes through it: a filing the login
    # may make is, with the cookie alone, the public's, which may not file.
    body = {"agreement_id": "quiet", "complainant": "opposition", "respondent": "gov"}
    through_api = pages.post(f"{V}/allegations", json=body | {"narrative": "By cookie."})
    assert through_api.status_code == 403, through_api.text
    assert through_api.json()["error"]["code"] == "forbidden"
    listed = pages.get(f"{V}/allegations").json()["items"]
    assert [c["id"] for c in listed] == [made.headers["location"].rsplit("/", 1)[1]]


def test_pages_answer_errors_in_html_and_the_api_in_json(pages: TestClient) -> None:
    missing = pages.get("/no-such-page")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    assert "Not found" in missing.text
    assert pages.get("/cases/A-9999-0001").status_code == 404
    assert pages.get(f"{V}/no-such-route").json()["error"]["code"] == "not_found"
    assert pages.get("/incidents/999999").status_code == 404
    assert json.loads(pages.get(f"{V}/agreements/nope").text)["error"]["status"] == 404


@pytest.mark.parametrize(
    ("who", "reach"),
    [
        ("admin", "every allegation"),
        ("adj-ru", "every allegation"),
        ("monitor", "published only"),
        ("rep-gov", "own party's cases; others once published"),
    ],
)
def test_the_queue_says_what_the_policy_lets_each_role_see(
    api: Api, pages: TestClient, who: str, reach: str
) -> None:
    pages.cookies.set(SESSION_COOKIE, api.tokens[who])
    text = pages.get("/cases").text
    assert f"Allegations you may see: {reach.replace(chr(39), '&#39;')}." in text


def test_the_front_end_libraries_are_built_in_and_served(pages: TestClient) -> None:
    from ceasefire.interfaces.http.web import vendor

    assert vendor.missing() == [], "pip install should have run npm ci and copied them"
    declared = json.loads((vendor.HERE.parents[4] / "package.json").read_text())["dependencies"]
    package = [
        s.split("/")[0] if not s.startswith("@") else "/".join(s.split("/")[:2])
        for s in vendor.FILES
    ]
    assert set(package) <= set(declared)
    script = pages.get("/static/vendor/maplibre-gl.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert len(script.content) > 500_000
    # The labels' font is the app's own (no glyph server, no font from elsewhere).
    font = pages.get("/static/vendor/noto-sans-latin-400.woff2")
    assert font.status_code == 200 and font.content[:4] == b"wOF2"
    css = pages.get("/static/css/app.css").text
    assert 'font-family: "Noto Sans"' in css and "/static/vendor/noto-sans-latin-400.woff2" in css


def test_cached_views_follow_the_record(api: Api) -> None:
    assert layer(api, agreement="quiet")["count"] == 3
    before = api.get(f"{V}/compliance", "monitor", params={"agreement": "quiet"}).json()
    assert api.post(f"{V}/incidents", "monitor", json=event("e5")).status_code == 201
    assert layer(api, agreement="quiet")["count"] == 4  # not the cached 3
    after = api.get(f"{V}/compliance", "monitor", params={"agreement": "quiet"}).json()
    assert after["zones"][0]["violation"] == before["zones"][0]["violation"] + 1


def test_bad_form_input_gets_a_page_naming_the_field(api: Api, pages: TestClient) -> None:
    csrf = login_as(pages, api, "rep-opp")
    missing = pages.post("/cases", data={"csrf": csrf, "agreement_id": "quiet"})
    assert missing.status_code == 422 and missing.headers["content-type"].startswith("text/html")
    assert "respondent: Field required" in missing.text
    unknown = pages.post(
        "/cases",
        data={"csrf": csrf, "agreement_id": "nope", "respondent": "gov", "narrative": "x"},
    )
    assert unknown.status_code == 422 and "nope" in unknown.text
    huge = pages.post("/cases", content=b"x", headers={"content-length": str(10**9)})
    assert huge.status_code == 413 and "limited to" in huge.text
    assert pages.get(f"{V}/allegations").status_code == 200
    assert pages.get(f"{V}/allegations").json()["items"] == []  # nothing half-written


def test_a_monitor_reports_an_incident_from_the_form(api: Api, pages: TestClient) -> None:
    pages.cookies.set(SESSION_COOKIE, api.tokens["rep-opp"])
    assert pages.get("/incidents/new").status_code == 403  # parties do not report
    csrf = login_as(pages, api, "monitor")
    assert "Report" in pages.get("/map").text
    form = {
        "csrf": csrf, "id": "obs-1", "start": "2016-04-30T10:00", "timezone": "Asia/Damascus",
        "act": "shelling", "perpetrators": "Syrian government", "targets": "opposition",
        "directed": "on", "lon": "36.5", "lat": "35.5", "radius_km": "1", "killed_best": "2",
    }  # fmt: skip
    made = pages.post("/incidents/new", data=form, follow_redirects=False)
    assert made.status_code == 303, made.text
    record = api.get(f"{V}{made.headers['location']}", "monitor").json()
    assert (record["source"], record["source_id"], record["submitted_by"]) == (
        "report",
        "obs-1",
        "monitor",
    )
    assert record["perpetrators"] == [[None, ["gov"]]] and record["killed_best"] == 2
    quiet = [
        f for f in record["findings"] if (f["agreement_id"], f["reading"]) == ("quiet", "text")
    ]
    assert quiet[0]["category"] == "violation"
    # Bad input: the form comes back with the reader's words, naming the field; nothing stored.
    bad = pages.post("/incidents/new", data=form | {"id": "obs-2", "lat": "north"})
    assert bad.status_code == 422 and "lat" in bad.text and 'value="north"' in bad.text
    assert (
        api.get(f"{V}/incidents", "monitor", params={"limit": 1000}).json()["items"][-1][
            "source_id"
        ]
        == "obs-1"
    )
    unknown_zone = pages.post(
        "/incidents/new", data=form | {"id": "obs-3", "timezone": "Mars/Base"}
    )
    assert unknown_zone.status_code == 422 and "Mars/Base" in unknown_zone.text


def test_a_dyad_is_on_both_sides_of_the_map_filter(api: Api, tmp_path: Path) -> None:
    from ceasefire.core.policy import LOCAL_OPERATOR
    from ceasefire.services import ingest

    file = tmp_path / "dyad.jsonl"
    file.write_text(json.dumps(event("d1", directed=False)) + "\n")
    ingest.ingest_files([file], api.db, who=LOCAL_OPERATOR)
    data = layer(api, agreement="quiet", reading="text")
    by_id = {
        api.get(f"{V}/incidents/{pk}", "monitor").json()["source_id"]: i
        for i, pk in enumerate(data["pk"])
    }
    gov, opposition = (1 << data["sides"].index(s) for s in ("gov", "opposition"))
    # Who attacked is not recorded: the government (stored first) is not singled out.
    assert data["side"][by_id["d1"]] == gov | opposition
    assert data["side"][by_id["e1"]] == gov  # a directed act stays on its perpetrator's side


# ---------------------------------------------------------------------- graded views


def test_findings_filter_by_grade_and_party(api: Api) -> None:
    every = api.get(f"{V}/findings", "monitor", params={"agreement": "quiet"}).json()
    assert every["items"] and all("grade" in f and "party" in f for f in every["items"])
    grades = {f["grade"] for f in every["items"]}
    for grade in grades:
        some = api.get(f"{V}/findings", "monitor", params={"agreement": "quiet", "grade": grade})
        assert some.status_code == 200
        assert {f["grade"] for f in some.json()["items"]} == {grade}
    both = api.get(
        f"{V}/findings", "monitor", params=[("agreement", "quiet"), *(("grade", g) for g in grades)]
    ).json()
    assert both["total"] == every["total"]
    gov = api.get(f"{V}/findings", "monitor", params={"agreement": "quiet", "party": "gov"}).json()
    assert gov["total"] >= 1 and {f["party"] for f in gov["items"]} == {"gov"}
    bad = api.get(f"{V}/findings", "monitor", params={"grade": "excellent"})
    assert bad.status_code == 422 and "grade" in bad.json()["error"]["message"]


def test_map_layer_carries_each_findings_grade(api: Api) -> None:
    data = layer(api, agreement="quiet", reading="text")
    assert data["grades"] == [
        "confirmed", "fair", "weak", "contested", "discounted", "undetermined",
    ]  # fmt: skip
    assert len(data["grade"]) == data["count"]
    for i, pk in enumerate(data["pk"]):
        record = api.get(f"{V}/incidents/{pk}", "monitor").json()
        found = [
            f for f in record["findings"] if (f["agreement_id"], f["reading"]) == ("quiet", "text")
        ]
        expected = found[0]["grade"] if found else "undetermined"
        assert data["grades"][data["grade"][i]] == expected


def test_compliance_by_grade_counts_events(api: Api) -> None:
    by_grade = api.get(f"{V}/compliance", "monitor", params={"agreement": "quiet", "by": "grade"})
    assert by_grade.status_code == 200, by_grade.text
    body = by_grade.json()
    assert body["by"] == "grade" and body["unit"] == "events" and body["linked_reports"] == 0
    in_force = [r for r in body["weekly"] if r["phase"] == "in force" and r["violations"]]
    assert sum(r["violations"] for r in in_force) == 1 and in_force[0]["grade"] in body_grades()
    bad = api.get(f"{V}/compliance", "monitor", params={"by": "mood"})
    assert bad.status_code == 422


def body_grades() -> list[str]:
    from ceasefire.services.views import GRADE_NAMES

    return GRADE_NAMES


def test_a_report_linked_into_an_event_is_counted_once(api: Api, tmp_path: Path) -> None:
    """Two reports of the one violation: linked, the dashboard counts one event."""
    from ceasefire.services import review
    from ceasefire.services.record import open_record

    twin = event("e1-again", source="acled")
    assert api.post(f"{V}/incidents", "monitor", json=twin).status_code == 201
    before = api.get(f"{V}/compliance", "monitor", params={"agreement": "quiet"}).json()
    assert sum(r["violations"] for r in before["weekly"] if r["phase"] == "in force") == 2
    linked = api.post(f"{V}/review/acled:e1-again/link", "monitor", json={"into": "native:e1"})
    assert linked.status_code == 200, linked.text
    after = api.get(f"{V}/compliance", "monitor", params={"agreement": "quiet"}).json()
    assert sum(r["violations"] for r in after["weekly"] if r["phase"] == "in force") == 1
    assert after["linked_reports"] == 1
    with open_record(api.db) as rec:
        pk = rec.incidents.get("native:e1")["pk"]  # type: ignore[index]
    detail = api.get(f"{V}/incidents/{pk}", "monitor").json()
    assert detail["event"]["ref"] == "native:e1"
    assert [r["ref"] for r in detail["event"]["reports"]] == ["native:e1", "acled:e1-again"]
    assert detail["event"]["reports"][0]["representative"] is True
    assert review  # the service the route called


def test_compliance_equals_assess(tmp_path: Path) -> None:
    """The dashboard on the demo (a record built from the bundled files) counts what `ceasefire
    assess` counts on the same files: per party charged and per grade, in the weeks it shows."""
    import numpy as np

    from ceasefire.core.policy import LOCAL_OPERATOR
    from ceasefire.core.timing import local_to_utc, zone_info
    from ceasefire.services import ingest, views
    from ceasefire.services.assess import run_assessment
    from ceasefire.services.demo import DEMO_FILES, EVENTS, demo_data
    from ceasefire.services.record import open_record

    data = demo_data()
    agreements, events = data / DEMO_FILES[0], data / EVENTS
    db = str(tmp_path / "demo.db")
    ingest.init_workspace(db)
    ingest.load_agreement_files([agreements], db, who=LOCAL_OPERATOR)
    ingest.ingest_files([events], db, who=LOCAL_OPERATOR)
    done = run_assessment([agreements], [events])
    frame = done.frame(every_pair=False)
    agreement = done.catalogue.agreement("syria-coh-2016")
    origin = local_to_utc(agreement.start, zone_info(agreement.timezone))
    inc = done.incidents
    index = {(s, i): n for n, (s, i) in enumerate(zip(inc.source, inc.id, strict=True))}
    rows = [index[(s, i)] for s, i in zip(frame["source"], frame["incident_id"], strict=True)]
    middle = (inc.t0[rows] + inc.t1[rows]) // 2
    frame["week"] = np.floor((middle - origin) / (7 * 86400)).astype(int)
    hits = frame[
        (frame["agreement_id"] == agreement.id)
        & (frame["reading"] == "text")
        & (frame["category"] == "violation")
        & (frame["week"] >= 0)
        & (frame["week"] < 8)
    ]
    assert len(hits) > 100  # the demo's cessation has many violations in its first weeks
    with open_record(db) as rec:
        for by in ("party", "grade"):
            shown = views.compliance(
                rec, LOCAL_OPERATOR, agreement.id, "text", settings=Settings(), by=by
            )
            assert shown["unit"] == "events"
            dashboard: dict[str, int] = {}
            for r in shown["weekly"]:
                if r["phase"] == "in force" and r["violations"]:
                    dashboard[r[by]] = dashboard.get(r[by], 0) + r["violations"]
            assessed = {str(k): int(v) for k, v in hits.groupby(by).size().items()}
            assert dashboard == assessed, by


def _raw_map(api: Api, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    """The map layer as sent (httpx would undo the gzip): the raw bytes and the headers."""
    with api.client.stream(
        "GET", f"{V}/map/incidents", params={"agreement": "quiet"},
        headers={**api.headers("monitor"), **headers},
    ) as response:  # fmt: skip
        return response, b"".join(response.iter_raw())


def test_map_layer_is_gzipped_and_revalidated_by_its_etag(api: Api) -> None:
    import gzip

    plain, body = _raw_map(api, {"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and "content-encoding" not in plain.headers
    assert json.loads(body)["count"] == 3
    etag = plain.headers["etag"]
    assert etag.startswith('"') and plain.headers["vary"] == "Accept-Encoding"  # said once
    assert plain.headers["cache-control"] == "private, no-cache"
    packed, raw = _raw_map(api, {"Accept-Encoding": "br, gzip;q=0.8"})
    assert packed.headers["content-encoding"] == "gzip" and packed.headers["etag"] == etag
    assert gzip.decompress(raw) == body and len(raw) < len(body)
    # a client that holds this version is sent nothing
    held, raw = _raw_map(api, {"If-None-Match": etag, "Accept-Encoding": "gzip"})
    assert held.status_code == 304 and raw == b"" and held.headers["etag"] == etag
    assert _raw_map(api, {"If-None-Match": '"other"'})[0].status_code == 200
    # a new incident is a new version: the old tag no longer matches
    assert api.post(f"{V}/incidents", "monitor", json=event("e5")).status_code == 201
    fresh, raw = _raw_map(api, {"If-None-Match": etag, "Accept-Encoding": "identity"})
    assert fresh.status_code == 200 and json.loads(raw)["count"] == 4
    assert fresh.headers["etag"] != etag


def test_other_answers_are_gzipped_when_large(api: Api) -> None:
    spec = api.client.get(f"{V}/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert spec.status_code == 200 and spec.headers["content-encoding"] == "gzip"
    plain = api.client.get(f"{V}/openapi.json", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.json() == spec.json()
