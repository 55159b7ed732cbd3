"""The two leaks of issue 9, tried as a party would, through every route (SQLite and PostgreSQL).

1. An unpublished ruling's outcome, reasons and statements: another party, the
   respondent, the complainant, a monitor and the public get none of it from the
   allegation, the lists, the rulings, the ledger (API and export), the case page
   or the register; once published, all of them do.
2. A candidate incident (awaiting review) exists only for those who may review
   it: by id, on the page of a case that links it, and when filing (a hidden id
   and an id the record lacks are answered alike).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ceasefire.core.policy import ANONYMOUS, LOCAL_OPERATOR
from ceasefire.interfaces.http.app import create_app
from ceasefire.interfaces.http.auth import SESSION_COOKIE
from ceasefire.services import ingest, ledger, users
from ceasefire.storage.record import Record
from tests.api.conftest import Api, build_workspace
from tests.cases.conftest import database, url_of

V = "/api/v1"
REASONS = "REASONS-KEPT-FROM-THE-PARTIES"
DISSENT = "DISSENT-KEPT-FROM-THE-PARTIES"
#: Those who must not see an unpublished ruling: the complainant, the respondent, a party
#: to neither side of the case, a monitor and the public.
OUTSIDERS = ("rep-opp", "rep-gov", "rep-late", "monitor", "public")
CANDIDATE_PLACE = "Candidateville"


def add_party(db: str, tmp_path: Path, name: str, party: str) -> str:
    keys = users.Keystore(tmp_path / "keys")
    with Record.open(db) as rec:
        admin = users.get_user(rec, "admin")
        users.add_user(rec, admin, name, "party", party=party, keys=keys)
        return users.issue_token(rec, admin, name, signer=keys)


@pytest.fixture(params=["sqlite", "postgresql"])
def site(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Api]:
    """The API's workspace, plus a representative of a party that is in no case here."""
    monkeypatch.setenv("CEASEFIRE_KEYS", str(tmp_path / "keys"))
    with database(request.param, tmp_path, tables=False) as engine:
        url = url_of(engine) if request.param == "postgresql" else None
        db, tokens = build_workspace(tmp_path, url)
        tokens["rep-late"] = add_party(db, tmp_path, "rep-late", "late")
        app = create_app(db)
        with TestClient(app) as client:
            yield Api(client, tokens, db)
        app.state.workspace.close()


def page(site: Api, path: str, who: str) -> str:
    """A page as `who` sees it in a browser (the login cookie), or as the public."""
    site.client.cookies.clear()
    if who != "public":
        site.client.cookies.set(SESSION_COOKIE, site.tokens[who])
    response = site.client.get(path)
    site.client.cookies.clear()
    assert response.status_code in (200, 404), (path, who, response.status_code)
    return response.text


def exported(site: Api, who: str, tmp_path: Path) -> str:
    """`ceasefire ledger export --as who` (the public: the anonymous viewer)."""
    with Record.open(site.db) as rec:
        viewer = ANONYMOUS if who == "public" else users.get_user(rec, who)
        out = tmp_path / f"ledger-{who}.jsonl"
        ledger.export(
            rec,
            out,
            keys=ledger.LogKey(users.Keystore.for_database(site.db).directory),
            viewer=viewer,
        )
    assert ledger.verify_file(out).ok
    return out.read_text("utf-8")


def everything(site: Api, who: str, case: str, tmp_path: Path) -> str:
    """What `who` gets about the case through every route that could show its ruling."""
    parts = [
        site.get(f"{V}/allegations/{case}", who).text,
        site.get(f"{V}/allegations", who).text,
        site.get(f"{V}/rulings", who).text,
        site.get(f"{V}/ledger", who, params={"limit": 1000}).text,
        exported(site, who, tmp_path),
        page(site, f"/cases/{case}", who),
        page(site, "/cases", who),
        page(site, "/register", who),
    ]
    return "\n".join(parts)


def ruled_case(site: Api) -> str:
    body = {
        "agreement_id": "quiet", "complainant": "opposition", "respondent": "gov",
        "narrative": "Shelling of a market on the first day.", "incidents": ["native:e1"],
    }  # fmt: skip
    made = site.post(f"{V}/allegations", "rep-opp", json=body)
    assert made.status_code == 201, made.text
    case = str(made.json()["id"])
    steps = [
        ("review", "adj-ru", None),
        ("ruling", "adj-us", {"outcome": "perpetrator_excluded", "reasons": REASONS}),
        ("sign", "adj-us", {"position": "agree"}),
        ("sign", "adj-ru", {"position": "dissent", "statement": DISSENT}),
    ]
    for step, who, payload in steps:
        done = site.post(f"{V}/allegations/{case}/{step}", who, json=payload)
        assert done.status_code == 200, (step, done.text)
    return case


def test_an_unpublished_ruling_is_seen_by_no_outsider_through_any_route(
    site: Api, tmp_path: Path
) -> None:
    case = ruled_case(site)
    for who in ("adj-ru", "adj-us", "admin"):
        shown = everything(site, who, case, tmp_path)
        assert REASONS in shown and DISSENT in shown, who
    for who in OUTSIDERS:
        shown = everything(site, who, case, tmp_path)
        assert REASONS not in shown and DISSENT not in shown, who
        assert "perpetrator_excluded" not in shown and "perpetrator excluded" not in shown, who
    # The parties still follow their own case: it is there, ruled, without the ruling.
    for who in ("rep-opp", "rep-gov"):
        view = site.get(f"{V}/allegations/{case}", who).json()
        assert view["status"] == "ruled" and view["ruling"] is None
    for who in ("rep-late", "monitor", "public"):
        assert site.get(f"{V}/allegations/{case}", who).status_code == 404

    published = site.post(f"{V}/allegations/{case}/publish", "adj-ru")
    assert published.status_code == 200, published.text
    for who in OUTSIDERS:
        view = site.get(f"{V}/allegations/{case}", who).json()
        assert view["ruling"]["reasons"] == REASONS, who
        shown = everything(site, who, case, tmp_path)
        for route in ("rulings", "ledger"):
            text = site.get(f"{V}/{route}", who, params={"limit": 1000}).text
            assert REASONS in text, (who, route)
        assert REASONS in page(site, f"/cases/{case}", who), who
        assert REASONS in page(site, "/register", who) and DISSENT in shown, who
        assert REASONS in exported(site, who, tmp_path), who


# ------------------------------------------------------------ candidate incidents


def add_candidate(site: Api, tmp_path: Path) -> int:
    record = {
        "id": "c1",
        "time": {"start": "2016-05-01", "timezone": "Asia/Damascus"},
        "place": {"lon": 36.5, "lat": 35.5, "name": CANDIDATE_PLACE},
        "act": "shelling",
        "perpetrators": ["gov"],
        "targets": ["opposition"],
    }
    file = tmp_path / "candidate.jsonl"
    file.write_text(json.dumps(record) + "\n", encoding="utf-8")
    ingest.ingest_files([file], site.db, status="candidate", who=LOCAL_OPERATOR)
    listed = site.get(f"{V}/incidents", "monitor", params={"status": "candidate"}).json()
    [pk] = [i["pk"] for i in listed["items"] if i["source_id"] == "c1"]
    return int(pk)


def test_a_candidate_is_seen_only_by_reviewers_also_when_a_case_links_it(
    site: Api, tmp_path: Path
) -> None:
    pk = add_candidate(site, tmp_path)
    body = {
        "agreement_id": "quiet", "complainant": "opposition", "respondent": "gov",
        "narrative": "Shelling reported in the news.", "incidents": ["native:e1", "native:c1"],
    }  # fmt: skip
    made = site.post(f"{V}/allegations", "admin", json=body)  # the secretariat may review it
    assert made.status_code == 201, made.text
    case = made.json()["id"]
    link = f'href="/incidents/{pk}"'
    admin_page = page(site, f"/cases/{case}", "admin")
    assert link in admin_page and CANDIDATE_PLACE in admin_page
    assert site.get(f"{V}/incidents/{pk}", "monitor").status_code == 200
    for who in ("rep-opp", "rep-gov"):  # they see the case, not the candidate it links
        assert site.get(f"{V}/incidents/{pk}", who).status_code == 404
        shown = page(site, f"/cases/{case}", who)
        assert "native:e1" in shown and "native:c1" in shown  # the reference as filed
        assert link not in shown and CANDIDATE_PLACE not in shown, who
        assert CANDIDATE_PLACE not in site.get(f"{V}/allegations/{case}", who).text


def test_filing_with_a_hidden_candidate_is_answered_as_for_a_missing_incident(
    site: Api, tmp_path: Path
) -> None:
    add_candidate(site, tmp_path)

    def attempt(ref: str) -> tuple[int, str]:
        body = {
            "agreement_id": "quiet", "complainant": "opposition", "respondent": "gov",
            "narrative": "n", "incidents": [ref],
        }  # fmt: skip
        response = site.post(f"{V}/allegations", "rep-opp", json=body)
        return response.status_code, re.sub(re.escape(ref), "REF", response.text)

    hidden, missing = attempt("native:c1"), attempt("native:no-such-incident")
    assert hidden == missing and hidden[0] == 422, (hidden, missing)
    assert attempt("native:e1")[0] == 201
