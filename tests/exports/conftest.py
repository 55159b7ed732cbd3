"""A workspace for the exports, on SQLite and (when reachable) PostgreSQL.

`build_workspace`'s agreement, accounts and three incidents, plus incidents on
other days (so a period filter has something to leave out), a candidate awaiting
review (which no export may show to anyone), two reports linked into one event,
a confidential case and a published one.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ceasefire.core.policy import LOCAL_OPERATOR, Settings
from ceasefire.interfaces.http.app import create_app
from ceasefire.services import ingest
from ceasefire.services.record import open_record
from tests.api.conftest import Api, build_workspace
from tests.cases.conftest import database, url_of
from tests.conftest import event

V = "/api/v1"
SECRET = "Secret Hill"


@dataclass
class World:
    db: str
    tokens: dict[str, str]
    keys: dict[str, int]
    cases: dict[str, str]
    backend: str


#: A zone of no agreement, the square's northern half: what the `zone` filter is tried on.
NORTH_YAML = """
zones:
  - id: north
    name: North half
    geometry:
      type: Polygon
      coordinates: [[[36, 35.5], [37, 35.5], [37, 36], [36, 36], [36, 35.5]]]
"""


def more_incidents(folder: Path, db: str) -> None:
    north = folder / "north.yaml"
    north.write_text(NORTH_YAML, encoding="utf-8")
    ingest.load_agreement_files([folder / "agreement.yaml", north], db, who=LOCAL_OPERATOR)
    rows = [
        event("e4", time={"start": "2016-05-03"}, place={"lon": 36.2, "lat": 35.2}),
        event("e5", time={"start": "2016-04-20"}, place={"lon": 36.7, "lat": 35.7}),
        event(
            "e6",
            time={"start": "2016-05-10"},
            place={"lon": 36.4, "lat": 35.4, "name": 'Kafr, "Quoted" Town'},
            act="air_strike",
            perpetrators=["russia"],
            targets=["opposition"],
        ),
        event("e7", time={"start": "2016-05-01"}, perpetrators=["is"], targets=["gov"]),
    ]
    extra = folder / "more.jsonl"
    extra.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    ingest.ingest_files([extra], db, who=LOCAL_OPERATOR)
    candidate = folder / "candidate.jsonl"
    secret = event("cand-1", place={"lon": 36.6, "lat": 35.6, "name": SECRET})
    candidate.write_text(json.dumps(secret) + "\n", encoding="utf-8")
    ingest.ingest_files([candidate], db, status="candidate", who=LOCAL_OPERATOR)


def new_case(api: Api, narrative: str, published: bool) -> str:
    body = {
        "agreement_id": "quiet",
        "complainant": "opposition",
        "respondent": "gov",
        "narrative": narrative,
        "evidence": [{"filename": "a.txt", "content_base64": base64.b64encode(b"x").decode()}],
    }
    created = api.post(f"{V}/allegations", "rep-opp", json=body)
    assert created.status_code == 201, created.text
    cid = str(created.json()["id"])
    if published:
        steps = [
            ("review", "adj-ru", None),
            ("ruling", "adj-us", {"outcome": "no_violation", "reasons": "Not shown."}),
            ("sign", "adj-ru", {"position": "agree"}),
            ("sign", "adj-us", {"position": "agree"}),
            ("publish", "adj-ru", None),
        ]
        for action, who, payload in steps:
            done = api.post(f"{V}/allegations/{cid}/{action}", who, json=payload)
            assert done.status_code == 200, done.text
    return cid


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("exports")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CEASEFIRE_KEYS", str(tmp / "keys"))
        with database(request.param, tmp, tables=False) as engine:
            url = url_of(engine) if request.param == "postgresql" else None
            db, tokens = build_workspace(tmp, url)
            more_incidents(tmp, db)
            with open_record(db) as rec:
                keys = {r["source_id"]: int(r["pk"]) for r in rec.incidents.find(limit=None)}
                rec.review.link(keys["e2"], keys["e1"], "monitor")
                rec.review.link(keys["e7"], keys["e1"], "monitor")
            app = create_app(db, settings=Settings(public_incidents=True))
            with TestClient(app) as client:
                api = Api(client, tokens, db)
                cases = {
                    "secret": new_case(api, "Confidential account.", False),
                    "published": new_case(api, "Published account.", True),
                }
            app.state.workspace.close()
            yield World(db, tokens, keys, cases, request.param)


@pytest.fixture(scope="module")
def api(world: World) -> Iterator[Api]:
    app = create_app(world.db, settings=Settings(public_incidents=True))
    with TestClient(app) as client:
        yield Api(client, world.tokens, world.db)
    app.state.workspace.close()


@pytest.fixture(scope="module")
def closed(world: World) -> Iterator[Api]:
    """The same workspace with `public_incidents` off: the public may read no findings."""
    app = create_app(world.db, settings=Settings(public_incidents=False))
    with TestClient(app) as client:
        yield Api(client, world.tokens, world.db)
    app.state.workspace.close()
